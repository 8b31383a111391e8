// Used by serverless.yml (`${file(./scripts/config-json.cjs):json}`): the settings file as one line of JSON
// for the Lambdas' PULLWATCH_CONFIG variable. The functions validate it again at cold start; the packaging
// test validates it against the schema. Lambda caps all environment variables of a function at 4 KB.
const { readFileSync, existsSync } = require('node:fs');
const { parse } = require('yaml');

const LIMIT = 3000;

module.exports.json = async ({ resolveVariable }) => {
  const file = await resolveVariable('param:configFile');
  if (!existsSync(file)) return '{}';
  const json = JSON.stringify(parse(readFileSync(file, 'utf8')) ?? {});
  if (Buffer.byteLength(json) > LIMIT) {
    throw new Error(
      `${file} is ${Buffer.byteLength(json)} bytes as JSON; Lambda environments hold 4 KB in all, so keep it under ${LIMIT} bytes`,
    );
  }
  return json;
};
