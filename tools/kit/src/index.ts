export { Clock } from './clock';
export { parseOrExplain, serveUntilSignal, type Stoppable } from './cli';
