import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { environment } from './environment.ts';
import { tracer } from './observability.ts';

// SDK clients, once per container. Endpoints come from the SDK's own AWS_ENDPOINT_URL*
// variables, so the same code talks to AWS, LocalStack or the local emulators.
export const dynamodb = tracer.captureAWSv3Client(new DynamoDBClient({}));
export const documents = DynamoDBDocumentClient.from(dynamodb);
export const s3 = tracer.captureAWSv3Client(new S3Client({ forcePathStyle: environment.s3ForcePathStyle }));
export const kms = tracer.captureAWSv3Client(new KMSClient({}));
