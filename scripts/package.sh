#!/bin/sh
# `npm run package`: builds the Lambda packages and the CloudFormation template into .serverless/, offline.
# Packaging needs no AWS account; osls only wants some credentials to exist, so dummies are supplied when
# none are configured (deploy, of course, needs real ones).
set -eu
cd "$(dirname "$0")/.."
export SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off
if [ -z "${AWS_ACCESS_KEY_ID:-}" ] && [ -z "${AWS_PROFILE:-}" ]; then
  export AWS_ACCESS_KEY_ID=packaging-only AWS_SECRET_ACCESS_KEY=packaging-only
fi
exec osls package --stage "${STAGE:-dev}" --region "${REGION:-eu-west-1}" "$@"
