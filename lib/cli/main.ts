import { commands, usage } from './commands.ts';

// node:sqlite is stable enough for a local state file but still prints an ExperimentalWarning on load;
// keep the terminal for alerts. Every other warning still reaches stderr.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name === 'ExperimentalWarning' && /SQLite/i.test(warning.message)) return;
  process.stderr.write(`${warning.name}: ${warning.message}\n`);
});

const [name, ...args] = process.argv.slice(2);
const entry = name ? commands[name] : undefined;
if (!entry) {
  process.stderr.write(usage());
  process.exitCode = name === undefined || name === '--help' || name === '-h' ? 0 : 2;
} else {
  const command = await entry.load();
  process.exitCode = await command.run(args, {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
  });
}
