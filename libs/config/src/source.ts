/** Where a configuration value came from, so every message can point at it. */
export type ValueSource =
  | { readonly kind: 'default' }
  | { readonly kind: 'file'; readonly file: string; readonly line: number }
  | { readonly kind: 'env'; readonly name: string }
  | { readonly kind: 'override'; readonly name: string }
  | { readonly kind: 'aws-secret'; readonly name: string };

export function describeSource(source: ValueSource): string {
  switch (source.kind) {
    case 'default':
      return 'default';
    case 'file':
      return `${source.file}:${source.line}`;
    case 'env':
      return `env ${source.name}`;
    case 'override':
      return source.name;
    case 'aws-secret':
      return `AWS secret ${source.name}`;
  }
}
