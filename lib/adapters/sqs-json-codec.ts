import { errorTypeRegistries, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { AwsJson1_0Protocol, JsonCodec } from '@aws-sdk/core/protocols';

/**
 * SQS's JSON protocol as the client configures it by default (runtimeConfig.shared.js of @aws-sdk/client-sqs
 * 3.1169.0), but with the SDK's JSON.stringify codec instead of its default writer, which escapes every
 * message body character by character in JavaScript: ~9% of the forwarder's CPU in a burst of packed
 * envelopes. test/integration/sqs.test.ts covers sends, receives and a service error through it.
 */
const SQS_PROTOCOL_SETTINGS = {
  defaultNamespace: 'com.amazonaws.sqs',
  errorTypeRegistries,
  version: '2012-11-05',
  serviceTarget: 'AmazonSQS',
  awsQueryCompatible: true,
  jsonCodec: new JsonCodec({ timestampFormat: { useTrait: true, default: 7 }, jsonName: false }),
};

/**
 * Client settings for the forwarder, which bundles its own pinned SDK. Not for the Lambdas: the nodejs22.x
 * runtime's SDK may predate these protocol exports, and a missing export would fail at import.
 */
export function fastJsonProtocol(): Partial<SQSClientConfig> {
  return { protocol: AwsJson1_0Protocol, protocolSettings: SQS_PROTOCOL_SETTINGS };
}
