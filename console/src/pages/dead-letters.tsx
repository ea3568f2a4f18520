import { useState } from 'preact/hooks';
import { api, type DeadLetterMessage, type DeadLetterQueue, enc, query } from '../api.ts';
import { ActionButton, Loading, Section, Table, useLoad, Value } from '../ui.tsx';

/** The names of what a queue's messages were meant for. */
export const feedsOf = (feeds: DeadLetterQueue['feeds']): string =>
  typeof feeds === 'string' ? feeds : feeds.map((f) => f.name).join(', ');

/** The dead-letter queues with their depth, a peek at their messages, Redrive (all) and Replay (one). */
export function DeadLetters() {
  const queues = useLoad(() => api<{ queues: DeadLetterQueue[] }>('GET', '/api/dead-letters'), []);
  const [open, setOpen] = useState<string>();
  const [result, setResult] = useState<string>();
  return (
    <div data-page="dead-letters">
      <h1>Dead letters</h1>
      <Loading loaded={queues} />
      {result ? <p class="notice">{result}</p> : null}
      {queues.data ? (
        <Table
          testid="dead-letter-queues"
          rows={queues.data.queues as unknown as Array<Record<string, unknown>>}
          columns={['name', 'feeds', 'depth', 'inFlight', 'oldestAgeSeconds', 'redrive']}
          rowKey={(q) => String(q.name)}
          render={{
            feeds: (q) => feedsOf(q.feeds as DeadLetterQueue['feeds']),
            name: (q) => (
              <button type="button" class="link" onClick={() => setOpen(String(q.name))}>
                {String(q.name)}
              </button>
            ),
          }}
          extra={(q) => (
            <ActionButton
              label="Redrive"
              kind="primary"
              disabled={!q.depth}
              action={async () => {
                const r = await api<Record<string, unknown>>(
                  'POST',
                  `/api/dead-letters/${enc(String(q.name))}/redrive`,
                );
                setResult(`${q.name}: ${JSON.stringify(r)}`);
                queues.reload();
              }}
            />
          )}
          empty="No dead-letter queues."
        />
      ) : null}
      {open ? (
        <Messages
          name={open}
          onReplayed={(r) => {
            setResult(r);
            queues.reload();
          }}
        />
      ) : null}
    </div>
  );
}

function Messages({ name, onReplayed }: { name: string; onReplayed: (r: string) => void }) {
  const messages = useLoad(
    () =>
      api<{ items: DeadLetterMessage[] }>(
        'GET',
        `/api/dead-letters/${enc(name)}/messages${query({ limit: 25 })}`,
      ),
    [name],
  );
  return (
    <Section title={`Messages in ${name}`}>
      <Loading loaded={messages} />
      {messages.data ? (
        <Table
          testid="dead-letter-messages"
          rows={messages.data.items as unknown as Array<Record<string, unknown>>}
          columns={['id', 'sentAt', 'target', 'error', 'body']}
          rowKey={(m) => String(m.id)}
          render={{
            target: (m) => {
              const t = m.target as DeadLetterMessage['target'];
              return t ? `${t.name}${t.via ? ` (${t.via})` : ''}` : '—';
            },
            error: (m) => {
              const e = m.error as DeadLetterMessage['error'];
              return e ? `${e.code ?? ''}: ${e.message ?? ''}` : '—';
            },
            body: (m) => <Value value={m.body} />,
          }}
          extra={(m) => (
            <ActionButton
              label="Replay"
              action={async () => {
                const r = await api(
                  'POST',
                  `/api/dead-letters/${enc(name)}/messages/${enc(String(m.id))}/replay`,
                );
                onReplayed(`${name} ${m.id}: ${JSON.stringify(r)}`);
                messages.reload();
              }}
            />
          )}
          empty="The queue is empty."
        />
      ) : null}
    </Section>
  );
}
