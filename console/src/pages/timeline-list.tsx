import { api, type Page, query, type TimelineLine } from '../api.ts';
import { formatTime, Json, Loading, Section, useLoad } from '../ui.tsx';

/** A business key's timeline from its own endpoint (a campaign's, a customer's), newest page first. */
export function TimelineSection({ path, empty }: { path: string; empty: string }) {
  const timeline = useLoad(() => api<Page<TimelineLine>>('GET', `${path}${query({ limit: 100 })}`), [path]);
  const items = timeline.data?.items ?? [];
  return (
    <Section title="Timeline">
      <Loading loaded={timeline} />
      {timeline.data ? (
        <ol class="timeline" data-testid="timeline">
          {items.length === 0 ? <li class="muted">{empty}</li> : null}
          {items.map((line, i) => (
            <li key={`${line.at}-${i}`} class={`line kind-${line.kind}`}>
              <time>{formatTime(line.at)}</time>
              <span class="kind">{line.kind}</span>
              <strong>{line.name}</strong>
              <Json value={line.detail} summary="detail" />
            </li>
          ))}
        </ol>
      ) : null}
    </Section>
  );
}
