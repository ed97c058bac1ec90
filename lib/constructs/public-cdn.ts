import { Duration, Validations } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  type BehaviorOptions,
  CacheCookieBehavior,
  CacheHeaderBehavior,
  CachePolicy,
  CacheQueryStringBehavior,
  Distribution,
  HttpVersion,
  OriginRequestPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { RestApiOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { Construct } from 'constructs';

export interface PublicCdnProps {
  stage: string;
  api: RestApi;
  domainName: string;
  /** ACM certificate in us-east-1 for `domainName`. */
  certificateArn: string;
}

/** The paths CloudFront caches: what every verifier fetches, identical for all of them. */
export const CACHED_PATHS = ['/status-lists/*', '/.well-known/jwks.json'] as const;

/**
 * The stage's public face (`publicBaseUrl` points its DNS here): CloudFront caches status lists
 * and the JWKS for as long as the API's Cache-Control says (a status list's ttl, five minutes
 * for the JWKS) and passes everything else to the API uncached.
 *
 * The origin is the API rather than the public bucket: the status function signs a list on
 * request and keeps the signed copy in the bucket as its own cache, and the JWKS is built from
 * KMS public keys — neither is a complete set of files in S3, so the API is the one source.
 * Agencies sign requests to the API's own domain, not this one (CloudFront replaces the Host the
 * signature covers).
 */
export class PublicCdn extends Construct {
  readonly distribution: Distribution;

  constructor(scope: Construct, id: string, props: PublicCdnProps) {
    super(scope, id);
    const origin = new RestApiOrigin(props.api);
    const honourOrigin = new CachePolicy(this, 'HonourOriginCacheControl', {
      cachePolicyName: `elicense-${props.stage}-honour-origin`,
      comment: 'Caches for as long as the origin’s Cache-Control max-age; no-store is never cached',
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.seconds(0),
      maxTtl: Duration.days(1),
      headerBehavior: CacheHeaderBehavior.none(),
      cookieBehavior: CacheCookieBehavior.none(),
      queryStringBehavior: CacheQueryStringBehavior.none(),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    const cached: BehaviorOptions = {
      origin,
      cachePolicy: honourOrigin,
      allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
      viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      compress: true,
    };
    this.distribution = new Distribution(this, 'Distribution', {
      comment: `elicense ${props.stage}: status lists and JWKS cached, the rest passed to the API`,
      domainNames: [props.domainName],
      certificate: Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn),
      minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
      httpVersion: HttpVersion.HTTP2_AND_3,
      defaultBehavior: {
        origin,
        cachePolicy: CachePolicy.CACHING_DISABLED,
        originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        allowedMethods: AllowedMethods.ALLOW_ALL,
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
      },
      additionalBehaviors: Object.fromEntries(CACHED_PATHS.map((path) => [path, cached])),
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'Licenses are presented and verified wherever their holders travel; status lists and the JWKS are public by design (draft-ietf-oauth-status-list), so no country is excluded.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'The origin API has its own regional WAF (AWS managed rule groups and a rate limit); a CloudFront web ACL must live in a us-east-1 stack, and the cached paths serve signed public documents from the edge without reaching the origin.',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason:
          'Every request that reaches the origin is in the API’s JSON access log; edge hits serve only public, signed documents that carry no personal data. Standard logging needs an ACL-enabled bucket, which the platform avoids.',
      },
    );
  }
}
