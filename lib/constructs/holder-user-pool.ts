import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  FeaturePlan,
  Mfa,
  StandardThreatProtectionMode,
  UserPool,
  type UserPoolClient,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';

export interface HolderUserPoolProps {
  stage: string;
  /**
   * `required`: every holder enrols a TOTP authenticator — a holder token reads identity-card
   * data and grants agencies access to it, which a password alone should not open. `optional`
   * is for pilots where enrolment friction matters more.
   */
  mfa: 'required' | 'optional';
}

/**
 * Holder sign-in (持证人): a Cognito user pool with the Plus plan's threat protection enforced
 * (compromised-credential and adaptive-risk checks), TOTP MFA, a strong password policy, and
 * one public app client (SRP sign-in, no client secret — the holder app runs on devices that
 * cannot keep one) whose short-lived tokens the holder function checks.
 */
export class HolderUserPool extends Construct {
  readonly pool: UserPool;
  readonly client: UserPoolClient;
  /** `https://cognito-idp.<region>.amazonaws.com/<pool id>`: the `iss` of holder tokens. */
  readonly issuerUrl: string;

  constructor(scope: Construct, id: string, props: HolderUserPoolProps) {
    super(scope, id);
    this.pool = new UserPool(this, 'Pool', {
      userPoolName: `elicense-${props.stage}-holders`,
      selfSignUpEnabled: true, // identity proofing happens in the platform, after sign-up
      signInAliases: { email: true, phone: false },
      autoVerify: { email: true },
      mfa: props.mfa === 'required' ? Mfa.REQUIRED : Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false }, // SMS invites SIM-swap takeover and needs an SNS role
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(1),
      },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    if (props.mfa === 'optional') {
      Validations.of(this.pool).acknowledge({
        id: 'AwsSolutions-COG2',
        reason:
          'This stage chose optional MFA (stage configuration holderIdentity.mfa): holders may enrol a TOTP authenticator, and enforced threat protection still challenges or blocks risky sign-ins and known-compromised passwords.',
      });
    }
    this.client = this.pool.addClient('HolderApp', {
      userPoolClientName: `elicense-${props.stage}-holder-app`,
      generateSecret: false,
      authFlows: { userSrp: true },
      disableOAuth: true, // the app signs in with SRP; no hosted UI, so no redirect URLs to guard
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      // Short access: a stolen token is worth 15 minutes; the app refreshes silently for 12 hours.
      accessTokenValidity: Duration.minutes(15),
      idTokenValidity: Duration.minutes(15),
      refreshTokenValidity: Duration.hours(12),
    });
    this.issuerUrl = `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${this.pool.userPoolId}`;
  }
}
