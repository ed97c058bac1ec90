import { DEMO_HOLDERS, type DemoHolder } from './catalog.ts';

// Demo holder accounts of the development OIDC issuer (dev/oidc-issuer.ts) — the local stand-in
// for the Cognito user pool. Usernames and passwords are demo data, printed in the README; the
// account id is the `sub` of the account's access tokens, fixed so that every machine agrees.

export interface DemoHolderAccount {
  demo: true;
  username: string;
  password: string;
  /** The `sub` of the account's tokens (a Cognito user's `sub` is a UUID too). */
  account: string;
  /** The identity the account proves to be, if the demo seeds its proofing; none for a newcomer. */
  holder?: DemoHolder;
}

export const DEMO_HOLDER_ACCOUNTS = {
  zhangWeiming: {
    demo: true,
    username: 'zhangweiming',
    password: 'demo-zhangweiming',
    account: '5d0c3a1e-0001-4a7e-9c1d-000000000001',
    holder: DEMO_HOLDERS.zhangWeiming,
  },
  liXiaoyan: {
    demo: true,
    username: 'lixiaoyan',
    password: 'demo-lixiaoyan',
    account: '5d0c3a1e-0002-4a7e-9c1d-000000000002',
    holder: DEMO_HOLDERS.liXiaoyan,
  },
  demoTechnology: {
    demo: true,
    username: 'demo-technology',
    password: 'demo-technology',
    account: '5d0c3a1e-0003-4a7e-9c1d-000000000003',
    holder: DEMO_HOLDERS.demoTechnology,
  },
  // The README's citizen walkthrough: signs up unproofed, proofs as 赵欣, applies for an ID card.
  zhaoXin: {
    demo: true,
    username: 'zhaoxin',
    password: 'demo-zhaoxin',
    account: '5d0c3a1e-0005-4a7e-9c1d-000000000005',
  },
  // Signed up, never proofed: owns nothing until proofing binds the account to an identity.
  newcomer: {
    demo: true,
    username: 'newcomer',
    password: 'demo-newcomer',
    account: '5d0c3a1e-0004-4a7e-9c1d-000000000004',
  },
} as const satisfies Record<string, DemoHolderAccount>;

/** The app client id of the local platform's holder tokens (Cognito: the user pool app client). */
export const DEV_HOLDER_CLIENT_ID = 'elicense-local-holder-app';
