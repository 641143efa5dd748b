// A real OpenID provider on loopback for Weft's single sign-on tests: panva's oidc-provider,
// the certified implementation, with one confidential client and its development sign-in
// form (any login name, any password). The test drives the form like a person would.
//
//   node provider.js PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI [MODE]
//
// Signed-in people: `sub` is the login name typed; the email is LOGIN@example.com, verified
// unless the login starts with "unverified".
// MODE (for the tests of what Weft must refuse):
//   normal       as a real provider behaves;
//   rogue-key    ID tokens are signed with a key the published JWKS does not hold (it
//                publishes another RSA key under the same `kid`);
//   expired      the provider's clock runs ten minutes behind and ID tokens last a minute,
//                so each one has expired well beyond any clock skew a client allows.
// Prints "ready ISSUER" on stdout once it listens.
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri, mode = 'normal'] = process.argv.slice(2);
if (!port || !clientId || !clientSecret || !redirectUri) {
  console.error('usage: node provider.js PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI [MODE]');
  process.exit(2);
}
if (!['normal', 'rogue-key', 'expired'].includes(mode)) {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}

if (mode === 'expired') {
  const realNow = Date.now;
  Date.now = () => realNow() - 600_000;
}

const rsaJwk = () => generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ format: 'jwk' });
const signing = { ...rsaJwk(), kid: 'weft-test-key', use: 'sig', alg: 'RS256' };

const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [signing] },
  pkce: { required: () => true },
  ttl: mode === 'expired' ? { IdToken: 60 } : undefined,
  // The claims go into the ID token itself, as most providers put them.
  conformIdTokenClaims: false,
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['preferred_username', 'name'],
  },
  async findAccount(ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          email: `${sub}@example.com`,
          email_verified: !sub.startsWith('unverified'),
          preferred_username: sub,
          name: `Test ${sub}`,
        };
      },
    };
  },
  // No consent step for the one client: the operator's own provider trusts its own app.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

if (mode === 'rogue-key') {
  const published = rsaJwk();
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/jwks') {
      ctx.body = { keys: [{ kty: 'RSA', n: published.n, e: published.e, kid: signing.kid, use: 'sig', alg: 'RS256' }] };
    }
  });
}

provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
