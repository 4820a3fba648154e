/**
 * Records every unhandled promise rejection while this test file runs; tests assert the list
 * stays empty (the link must never leave one behind).
 */
export function trackUnhandledRejections(): unknown[] {
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown): void => {
    rejections.push(reason);
  };
  beforeAll(() => {
    process.on('unhandledRejection', onRejection);
  });
  afterAll(() => {
    process.off('unhandledRejection', onRejection);
  });
  return rejections;
}
