export { Secret, REDACTED, revealIfSecret } from './secret';
