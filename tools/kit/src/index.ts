export { Clock } from './clock';
export { integer, parseOrExplain, serveUntilSignal, type Stoppable } from './cli';
