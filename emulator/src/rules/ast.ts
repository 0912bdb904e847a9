/**
 * The typed AST of a rule expression. Positions are offsets into the expression text, so a parse
 * or type error can name `line:column` inside the expression, as the real server's messages do.
 */
export interface Span {
  readonly start: number;
  readonly end: number;
}

export type BinaryOperator = '+' | '-' | '*' | '/' | '%' | '==' | '!=' | '===' | '!==' | '<' | '<=' | '>' | '>=';

export type Expr =
  | (Span & { readonly kind: 'literal'; readonly value: null | boolean | number | string })
  | (Span & { readonly kind: 'regexp'; readonly pattern: string; readonly flags: string })
  | (Span & { readonly kind: 'array'; readonly elements: readonly Expr[] })
  | (Span & { readonly kind: 'identifier'; readonly name: string })
  | (Span & {
      readonly kind: 'member';
      readonly object: Expr;
      /** a static property name (`a.b` or `a['b']`), or null when computed from an expression */
      readonly name: string | null;
      readonly property: Expr | null;
    })
  | (Span & { readonly kind: 'call'; readonly callee: Expr; readonly args: readonly Expr[] })
  | (Span & { readonly kind: 'unary'; readonly operator: '!' | '-'; readonly argument: Expr })
  | (Span & { readonly kind: 'binary'; readonly operator: BinaryOperator; readonly left: Expr; readonly right: Expr })
  | (Span & { readonly kind: 'logical'; readonly operator: '&&' | '||'; readonly left: Expr; readonly right: Expr })
  | (Span & { readonly kind: 'conditional'; readonly test: Expr; readonly consequent: Expr; readonly alternate: Expr });

/** 1-based line and column of `offset` in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let column = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      column = 1;
    } else {
      column++;
    }
  }
  return { line, column };
}

/** An error located in an expression; the loader prefixes the rule path. */
export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'ExpressionError';
  }
}
