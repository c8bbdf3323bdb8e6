/**
 * What a command may touch outside itself: its output streams, its input, whether they are
 * terminals, and the environment. `runCli` takes all of it as parameters, so tests run commands
 * in-process with captured output, a scripted stdin and a temporary HOME.
 */

/** The environment variables a command reads (`process.env` in the real process). */
export type Env = Readonly<Record<string, string | undefined>>;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Reads all of standard input; absent means an empty stdin. */
  readonly readStdin?: () => Promise<Buffer>;
  /** Standard input is a terminal: secrets are prompted for without echo. */
  readonly stdinIsTty?: boolean;
  /** Standard output is a terminal: `-field` values end with a newline. */
  readonly stdoutIsTty?: boolean;
  /** Where progress bars and spinners draw; set only when standard error is a terminal. */
  readonly progressStream?: NodeJS.WritableStream;
  /** Asks `question` on the terminal and reads the answer without echoing it. */
  readonly promptHidden?: (question: string) => Promise<string>;
}

/** The real process: its streams, and a hidden prompt on its terminal. */
export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin: readProcessStdin,
    stdinIsTty: process.stdin.isTTY === true,
    stdoutIsTty: process.stdout.isTTY === true,
    progressStream: process.stderr.isTTY === true ? process.stderr : undefined,
    promptHidden,
  };
}

async function readProcessStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Thrown when the operator presses Ctrl-C at a hidden prompt. */
export class PromptInterruptedError extends Error {
  readonly code = 'cli_prompt_interrupted';

  constructor() {
    super('interrupted');
  }
}

/**
 * Reads one line from the terminal in raw mode, so nothing typed is echoed; backspace edits,
 * Enter or Ctrl-D ends the line, Ctrl-C abandons it.
 */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  // Raw mode first: a key typed as soon as the question shows must not be echoed.
  stdin.setRawMode(true);
  process.stderr.write(question);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let answer = '';
    const finish = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string): void => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || char === '\u0004') {
          finish();
          resolve(answer);
          return;
        }
        if (char === '\u0003') {
          finish();
          reject(new PromptInterruptedError());
          return;
        }
        answer = char === '\u007f' || char === '\b' ? answer.slice(0, -1) : answer + char;
      }
    };
    stdin.on('data', onData);
  });
}
