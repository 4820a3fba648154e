/**
 * The engine's statement IR: what `parse.ts` makes of node-sql-parser's AST and of KalamDB's
 * own DDL words. Only what the engine executes.
 */
import type { KalamDataType } from '@kalam/link/protocol';

/** A SQL literal. Integers beyond 2^53 stay exact as `bigint`. */
export type Literal = null | boolean | number | bigint | string;

export type CompareOp = '=' | '<>' | '<' | '<=' | '>' | '>=';

/** Scalar and boolean expressions of WHERE, SET and VALUES. */
export type Expr =
  | { readonly kind: 'col'; readonly name: string }
  | { readonly kind: 'lit'; readonly value: Literal }
  | { readonly kind: 'param'; readonly index: number }
  | { readonly kind: 'cmp'; readonly op: CompareOp; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'and' | 'or'; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'not'; readonly expr: Expr }
  | { readonly kind: 'in'; readonly expr: Expr; readonly list: readonly Expr[]; readonly negated: boolean }
  | { readonly kind: 'like'; readonly expr: Expr; readonly pattern: Expr; readonly negated: boolean; readonly caseInsensitive: boolean }
  | { readonly kind: 'isnull'; readonly expr: Expr; readonly negated: boolean }
  | { readonly kind: 'between'; readonly expr: Expr; readonly low: Expr; readonly high: Expr; readonly negated: boolean };

export interface TableRef {
  readonly namespace: string;
  readonly name: string;
}

export interface ColumnSpec {
  readonly name: string;
  readonly dataType: KalamDataType;
  readonly notNull: boolean;
  readonly primaryKey: boolean;
}

/** A SELECT list item. */
export type SelectItem =
  | { readonly kind: 'star' }
  | { readonly kind: 'col'; readonly name: string; readonly alias: string | null }
  | { readonly kind: 'agg'; readonly fn: 'count' | 'min' | 'max' | 'sum'; readonly column: string | null; readonly alias: string | null };

export interface OrderItem {
  readonly column: string;
  readonly desc: boolean;
}

export interface SelectStatement {
  readonly type: 'select';
  readonly table: TableRef;
  readonly items: readonly SelectItem[];
  readonly where: Expr | null;
  readonly orderBy: readonly OrderItem[];
  readonly limit: number | null;
  readonly offset: number;
  /** Set when the query uses something a live query cannot (joins are rejected at parse time). */
  readonly distinct: boolean;
}

export type Statement =
  | { readonly type: 'create_namespace'; readonly name: string; readonly ifNotExists: boolean }
  | { readonly type: 'drop_namespace'; readonly name: string; readonly ifExists: boolean }
  | {
      readonly type: 'create_table';
      readonly kind: 'user' | 'shared';
      readonly table: TableRef;
      readonly ifNotExists: boolean;
      readonly columns: readonly ColumnSpec[];
      readonly primaryKey: readonly string[];
    }
  | { readonly type: 'drop_table'; readonly table: TableRef; readonly ifExists: boolean }
  | { readonly type: 'insert'; readonly table: TableRef; readonly columns: readonly string[] | null; readonly rows: readonly (readonly Expr[])[] }
  | { readonly type: 'update'; readonly table: TableRef; readonly set: readonly { readonly column: string; readonly value: Expr }[]; readonly where: Expr | null }
  | { readonly type: 'delete'; readonly table: TableRef; readonly where: Expr | null }
  | SelectStatement
  | { readonly type: 'create_user'; readonly name: string; readonly password: string; readonly role: string; readonly ifNotExists: boolean }
  | { readonly type: 'drop_user'; readonly name: string; readonly ifExists: boolean }
  | {
      readonly type: 'alter_user';
      readonly name: string;
      readonly action:
        | { readonly kind: 'enable' | 'disable' }
        | { readonly kind: 'password'; readonly password: string }
        | { readonly kind: 'role'; readonly role: string };
    }
  | { readonly type: 'kill'; readonly target: 'connection' | 'live_query'; readonly id: string };
