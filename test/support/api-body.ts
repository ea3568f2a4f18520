/**
 * A JSON answer of the operations API as the test clients hand it back: read loosely, since the
 * tests assert its shape with expect().
 */
// biome-ignore lint/suspicious/noExplicitAny: the tests assert the answers' shape field by field.
export type Body = any;
