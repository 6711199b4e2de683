// Preloaded (node --import) into each sandbox server the bench starts. The bench holds the other end of the server's
// stdin pipe; when the bench exits for any reason, even SIGKILL, the pipe closes and the server exits too: no orphans.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
