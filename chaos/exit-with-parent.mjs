// Preloaded (node --import) into each Hutong process the chaos run starts, plain JavaScript so that it works for
// the compiled `hutong serve` too. The run holds the other end of the child's stdin pipe: when the run exits for any
// reason, even SIGKILL, the pipe closes and the process exits too — no orphans.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
