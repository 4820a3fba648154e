/**
 * A resume acks every subscription of a table with the same schema, so the validator keeps the
 * last schema it read and hands it out again for an equal one. These tests pin that an ack whose
 * schema differs in any field, or is malformed, is still read in full.
 */
import { KalamError, validateMessage, type SchemaField, type SubscriptionAckMessage } from '../../src/protocol/index.js';
import { bigintColumns } from '../../src/internal/bigintCells.js';

const batchControl = { batch_num: 0, has_more: false, status: 'ready', last_seq_id: null };
const fields = (): Record<string, unknown>[] => [
  { name: 'id', data_type: 'BigInt', index: 0, flags: ['pk', 'nn'] },
  { name: 'title', data_type: 'Text', index: 1 },
];

function ackSchema(schema: unknown, wire = false): readonly SchemaField[] {
  const ack = validateMessage({ type: 'subscription_ack', subscription_id: 's', total_rows: 0, batch_control: batchControl, schema }, { wire }) as SubscriptionAckMessage;
  return ack.schema;
}

function rejection(schema: unknown, wire = false): string {
  try {
    ackSchema(schema, wire);
  } catch (e) {
    expect(e).toBeInstanceOf(KalamError);
    return (e as KalamError).message;
  }
  throw new Error('accepted');
}

describe('schema reuse across acks', () => {
  it('hands out a frozen schema, so one reader cannot change it under the acks that share it', () => {
    const shared = ackSchema(fields());
    expect(ackSchema(fields())).toBe(shared);
    expect(Object.isFrozen(shared)).toBe(true);
    expect(Object.isFrozen(shared[0])).toBe(true);
    expect(Object.isFrozen(shared[0]?.flags)).toBe(true);
    expect(() => {
      (shared[0] as { name: string }).name = 'changed';
    }).toThrow(TypeError);
    expect(shared[0]?.name).toBe('id');
  });

  it('hands out the same validated schema for an equal one, without its extra fields', () => {
    const first = ackSchema(fields());
    const again = fields();
    (again[1] as Record<string, unknown>)['comment'] = 'ignored';
    expect(ackSchema(again)).toBe(first);
    expect(first).toEqual([
      { name: 'id', data_type: 'BigInt', index: 0, flags: ['pk', 'nn'] },
      { name: 'title', data_type: 'Text', index: 1 },
    ]);
    // null flags read as absent, as in a full read
    const nullFlags = fields();
    (nullFlags[1] as Record<string, unknown>)['flags'] = null;
    expect(ackSchema(nullFlags)).toEqual(first);
  });

  it.each([
    ['name', (f: Record<string, unknown>[]) => { (f[1] as Record<string, unknown>)['name'] = 'body'; }, { name: 'body' }],
    ['index', (f: Record<string, unknown>[]) => { (f[1] as Record<string, unknown>)['index'] = 2; }, { index: 2 }],
    ['data type', (f: Record<string, unknown>[]) => { (f[1] as Record<string, unknown>)['data_type'] = 'Json'; }, { data_type: 'Json' }],
    ['flags added', (f: Record<string, unknown>[]) => { (f[1] as Record<string, unknown>)['flags'] = ['uq']; }, { flags: ['uq'] }],
  ])('reads a schema whose %s differs in full', (_what, change, expected) => {
    ackSchema(fields());
    const other = fields();
    change(other);
    expect(ackSchema(other)[1]).toEqual({ ...{ name: 'title', data_type: 'Text', index: 1 }, ...expected });
  });

  it('reads different flags, field counts and parameterised types in full', () => {
    ackSchema(fields());
    const flags = fields();
    (flags[0] as Record<string, unknown>)['flags'] = ['pk'];
    expect(ackSchema(flags)[0]?.flags).toEqual(['pk']);
    expect(ackSchema(fields().slice(0, 1))).toHaveLength(1);
    const embedding = [{ name: 'v', data_type: { Embedding: 3 }, index: 0 }];
    expect(ackSchema(embedding)[0]?.data_type).toEqual({ Embedding: 3 });
    expect(ackSchema([{ name: 'v', data_type: { Embedding: 4 }, index: 0 }])[0]?.data_type).toEqual({ Embedding: 4 });
  });

  it('still rejects a malformed schema that follows an equal-looking valid one', () => {
    ackSchema(fields());
    const badFlag = fields();
    (badFlag[0] as Record<string, unknown>)['flags'] = ['pk', 'xx'];
    expect(rejection(badFlag)).toContain('subscription_ack.schema[0].flags[1]');
    ackSchema(fields());
    const badType = fields();
    (badType[1] as Record<string, unknown>)['data_type'] = 'Blob';
    expect(rejection(badType)).toContain('subscription_ack.schema[1].data_type');
    ackSchema(fields());
    expect(rejection([...fields(), 'not a field'])).toContain('subscription_ack.schema[2]');
    ackSchema(fields());
    const notObject = fields() as unknown[];
    notObject[0] = ['id'];
    expect(rejection(notObject)).toContain('subscription_ack.schema[0]');
  });

  it('is not fooled by a caller changing its input after a read', () => {
    ackSchema([{ name: 'other', data_type: 'Text', index: 0 }]);
    const input = fields();
    const first = ackSchema(input);
    ((input[0] as Record<string, unknown>)['flags'] as string[]).push('xx');
    (input[1] as Record<string, unknown>)['name'] = 'other';
    expect(first[0]?.flags).toEqual(['pk', 'nn']);
    expect(first[1]?.name).toBe('title');
    const bad = fields();
    (bad[0] as Record<string, unknown>)['flags'] = ['pk', 'nn', 'xx'];
    expect(rejection(bad)).toContain('subscription_ack.schema[0].flags[2]');
  });

  it('does not carry a wire-only reading (a bigint index) over to a strict read', () => {
    const wire = fields();
    (wire[0] as Record<string, unknown>)['index'] = 0n;
    expect(ackSchema(wire, true)[0]?.index).toBe(0);
    const strict = fields();
    (strict[0] as Record<string, unknown>)['index'] = 0n;
    expect(rejection(strict, false)).toContain('subscription_ack.schema[0].index');
  });
});

describe('bigintColumns', () => {
  it('answers for the schema it is given, also right after another one', () => {
    const a: SchemaField[] = [{ name: 'id', data_type: 'BigInt', index: 0 }, { name: 't', data_type: 'Text', index: 1 }];
    const b: SchemaField[] = [{ name: 'n', data_type: 'BigInt', index: 0 }, { name: '_seq', data_type: 'BigInt', index: 1 }];
    expect(bigintColumns(a)).toEqual(['_seq', 'id']);
    expect(bigintColumns(a)).toBe(bigintColumns(a));
    expect(bigintColumns(b)).toEqual(['_seq', 'n']);
    expect(bigintColumns([...a])).toEqual(['_seq', 'id']);
    expect(bigintColumns([])).toEqual(['_seq']);
  });
});
