import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import {
  ApiError,
  api,
  clearToken,
  getConfig,
  getToken,
  loadConfig,
  onUnauthorized,
  setToken,
} from './api.ts';
import { Campaigns, Experiments } from './pages/campaigns.tsx';
import { Customers, Leaderboard } from './pages/customers.tsx';
import { DeadLetters } from './pages/dead-letters.tsx';
import { KeySearch, KeyTimeline } from './pages/keys.tsx';
import { Metrics } from './pages/metrics.tsx';
import { OverviewPage } from './pages/overview.tsx';
import { Presales } from './pages/presales.tsx';
import { Pricing } from './pages/pricing.tsx';
import { Promises } from './pages/promises.tsx';
import { PurchaseOrders } from './pages/purchase-orders.tsx';
import { RunPage } from './pages/run.tsx';
import { RunsPage } from './pages/runs.tsx';
import { href, useRoute } from './router.ts';
import './style.css';

const NAV: Array<[string, string]> = [
  ['overview', 'Overview'],
  ['runs', 'Runs'],
  ['keys', 'Order / SKU'],
  ['presales', 'Presales'],
  ['purchase-orders', 'Purchase orders'],
  ['promises', 'Promises & SLA'],
  ['pricing', 'Pricing'],
  ['metrics', 'Metrics'],
  ['campaigns', 'Campaigns'],
  ['experiments', 'Experiments'],
  ['customers', 'Customers'],
  ['referrals', 'Referrals'],
  ['dead-letters', 'Dead letters'],
];

function Login({ onDone }: { onDone: () => void }) {
  const [token, setValue] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const jwt = getConfig().auth !== 'admin-token';
  const iam = getConfig().auth === 'iam';
  return (
    <main class="login">
      <form
        class="card"
        onSubmit={async (e) => {
          e.preventDefault();
          if (!token.trim()) return;
          setBusy(true);
          setError(undefined);
          setToken(token.trim());
          try {
            // one cheap authenticated call: a token the API refuses never gets past this form
            await api('GET', '/api/runs?limit=1');
            onDone();
          } catch (err) {
            if (err instanceof ApiError && err.status === 401) {
              clearToken();
              setError('The operations API refused this token (401).');
            } else {
              onDone();
            }
          } finally {
            setBusy(false);
          }
        }}
      >
        <h1>storeflow console</h1>
        <p class="muted">
          {iam
            ? 'This stage authorizes the operations API with IAM (SigV4), which a browser cannot sign: deploy it with -c jwtIssuer=… -c jwtAudience=… to sign in here with a JWT.'
            : jwt
              ? 'Paste a bearer token (JWT) from your identity provider for the operations API.'
              : 'Paste the admin token of the local runtime (adminToken in .storeflow/secrets.json).'}
        </p>
        <label>
          {jwt ? 'Bearer token (JWT)' : 'Admin token'}
          <input
            name="token"
            type="password"
            autocomplete="off"
            value={token}
            onInput={(e) => setValue((e.target as HTMLInputElement).value)}
          />
        </label>
        {error ? (
          <div class="error" role="alert" data-testid="login-error">
            {error}
          </div>
        ) : null}
        <button type="submit" class="btn primary" disabled={busy}>
          Sign in
        </button>
        <p class="muted small">Kept in this tab only (sessionStorage).</p>
      </form>
    </main>
  );
}

function Screen() {
  const { path, query } = useRoute();
  const [section = 'overview', ...rest] = path;
  switch (section) {
    case 'runs':
      return rest[0] ? (
        <RunPage id={rest[0]} selected={query.get('state') ?? undefined} />
      ) : (
        <RunsPage query={query} />
      );
    case 'keys':
      return rest[1] ? <KeyTimeline type={rest[0]!} value={rest[1]} /> : <KeySearch />;
    case 'presales':
      return <Presales query={query} />;
    case 'purchase-orders':
      return <PurchaseOrders query={query} />;
    case 'promises':
      return <Promises query={query} />;
    case 'pricing':
      return <Pricing query={query} />;
    case 'metrics':
      return <Metrics query={query} />;
    case 'campaigns':
      return <Campaigns id={rest[0]} />;
    case 'experiments':
      return <Experiments id={rest[0]} />;
    case 'customers':
      return <Customers id={rest[0]} />;
    case 'referrals':
      return <Leaderboard query={query} />;
    case 'dead-letters':
      return <DeadLetters />;
    default:
      return <OverviewPage />;
  }
}

function App() {
  const [signedIn, setSignedIn] = useState(() => Boolean(getToken()));
  const { path } = useRoute();
  useEffect(
    () =>
      onUnauthorized(() => {
        clearToken();
        setSignedIn(false);
      }),
    [],
  );
  if (!signedIn) return <Login onDone={() => setSignedIn(true)} />;
  const current = path[0] ?? 'overview';
  return (
    <div class="shell">
      <nav class="nav">
        <a class="brand" href="#/">
          storeflow{getConfig().stage ? ` · ${getConfig().stage}` : ''}
        </a>
        {NAV.map(([id, label]) => (
          <a key={id} href={href([id])} class={current === id ? 'active' : ''}>
            {label}
          </a>
        ))}
        <button
          type="button"
          class="btn plain signout"
          onClick={() => {
            clearToken();
            setSignedIn(false);
          }}
        >
          Sign out
        </button>
      </nav>
      <main class="content">
        <Screen />
      </main>
    </div>
  );
}

loadConfig().then(() => render(<App />, document.getElementById('app')!));
