import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import type { DeadLetterQueues, QueueMessage, Refusal } from '#domain/operations/ports';

const errorName = (error: unknown) => (error as { name?: string } | null)?.name ?? '';

/** SQS's refusals of a move task the operator can act on (one already running, an unknown source). */
const MOVE_REFUSALS = new Set(['UnsupportedOperation', 'ResourceNotFoundException', 'InvalidParameterValue']);
/** Lambda's refusals of an invocation (throttled, the function gone or not ready). */
const INVOKE_REFUSALS = new Set([
  'TooManyRequestsException',
  'ResourceNotFoundException',
  'ResourceConflictException',
  'ResourceNotReadyException',
  'RequestTooLargeException',
]);

/** The dead-letter queues over SQS, and replays over Lambda's asynchronous Invoke. */
export class SqsDeadLetterQueues implements DeadLetterQueues {
  constructor(
    private readonly sqs: SQSClient,
    private readonly lambda: LambdaClient,
  ) {}

  async depth(url: string) {
    const { Attributes = {} } = await this.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return {
      visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  }

  async receive(url: string, max: number, hideSeconds: number): Promise<QueueMessage[]> {
    const { Messages = [] } = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: Math.min(10, Math.max(1, max)),
        VisibilityTimeout: hideSeconds,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
        MessageAttributeNames: ['All'],
      }),
    );
    return Messages.map((m) => ({
      id: m.MessageId ?? '',
      receipt: m.ReceiptHandle ?? '',
      body: m.Body ?? '',
      sentAt: m.Attributes?.SentTimestamp ? new Date(Number(m.Attributes.SentTimestamp)).toISOString() : null,
      receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 0),
      attributes: Object.fromEntries(
        Object.entries(m.MessageAttributes ?? {})
          .filter(([, v]) => typeof v.StringValue === 'string')
          .map(([k, v]) => [k, v.StringValue as string]),
      ),
    }));
  }

  async release(url: string, messages: readonly QueueMessage[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      await this.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: url,
          Entries: messages.slice(i, i + 10).map((m, j) => ({
            Id: String(i + j),
            ReceiptHandle: m.receipt,
            VisibilityTimeout: 0,
          })),
        }),
      );
    }
  }

  async delete(url: string, message: QueueMessage): Promise<void> {
    await this.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.receipt }));
  }

  async startMove(queueArn: string): Promise<{ taskHandle: string } | Refusal> {
    try {
      const out = await this.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: queueArn }));
      return { taskHandle: out.TaskHandle ?? '' };
    } catch (error) {
      if (MOVE_REFUSALS.has(errorName(error))) return { refused: (error as Error).message };
      throw error;
    }
  }

  async invokeAsync(functionName: string, payload: string): Promise<Refusal | null> {
    try {
      const out = await this.lambda.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'Event',
          Payload: new TextEncoder().encode(payload),
        }),
      );
      return out.StatusCode === 202 ? null : { refused: `Lambda answered ${out.StatusCode}` };
    } catch (error) {
      if (INVOKE_REFUSALS.has(errorName(error))) return { refused: (error as Error).message };
      throw error;
    }
  }
}
