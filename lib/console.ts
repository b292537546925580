/**
 * The operator console in a deployment (`console` prop of `JobFlow`): a small function that serves the built
 * console and its sign-in settings at `/console` of the flow's own HTTP API, on routes without an authorizer
 * (a browser loads the app before it can sign in), while every data route keeps the JWT authorizer.
 *
 * Its code is the handler (`functions/handlers/console.ts`) with the console's built files beside it
 * (`console/`): bundled from the sources inside this repository, where `dist/console` is built first when it is
 * missing or older than its sources, or copied from the package's prebuilt `dist/handlers/console` and
 * `dist/console` when jobx is installed.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { AssetHashType, DockerImage, Duration, type ILocalBundling, type RemovalPolicy } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CONSOLE_PATH, CONSOLE_REDIRECT_PATH } from '../functions/runtime/console-files';
import { ENV } from '../functions/runtime/env-names';
import { CONSOLE_HANDLER_ENTRY, ESM_REQUIRE_BANNER, LAMBDA_BUNDLING, LAMBDA_RUNTIME, PACKAGE_ROOT, prebuiltHandler } from './bundling';
import type { JobFlowJwtProps, JobFlowProps } from './job-flow-props';
import { acknowledgeConsole } from './nag-acknowledgements';

/** The route groups (`functions/http/route-access.ts`) the console calls: jobs listed, read, and acted on. */
const CONSOLE_ACCESS = ['list', 'read', 'control'] as const;

/**
 * The scopes the console asks for by default: `openid`, and the scopes of every route it calls (a group's
 * `routeScopes` entry, or else the API's `scopes`), so one sign-in covers every page and action.
 */
export function defaultConsoleScopes(jwt: JobFlowJwtProps): string[] {
  return [...new Set(['openid', ...CONSOLE_ACCESS.flatMap((access) => jwt.routeScopes?.[access] ?? jwt.scopes ?? [])])];
}

/** What the console needs from its flow. */
export interface JobFlowConsoleOptions {
  /** The flow's props (`console`, `api.jwt`, `tracing`, `encryptionKey`). */
  readonly props: JobFlowProps;
  /** The flow's HTTP API: the console's routes are added to it. */
  readonly api: apigwv2.HttpApi;
  /** Base URL of the API (ends with `/`). */
  readonly apiUrl: string;
  /** The flow's stage (in the function's description). */
  readonly stageName: string;
  /** Retention of the function's log group, as every log group of the flow. */
  readonly logRetention: logs.RetentionDays;
  /** What happens to the log group when it leaves the stack, as every log group of the flow. */
  readonly removalPolicy: RemovalPolicy;
}

/** The console of a deployment: its function, its two routes and where people open it. */
export class JobFlowConsole extends Construct {
  /** The function serving the console's files and `config.json`. */
  public readonly fn: lambda.Function;
  /** `GET /console` and `GET /console/{proxy+}`: no authorizer (static files and public sign-in settings). */
  public readonly routes: readonly apigwv2.HttpRoute[];
  /** Where people open the console: `https://<api>/console/`. */
  public readonly url: string;
  /** The redirect URI the app client must allow (the same URL: the app handles the sign-in's return itself). */
  public readonly redirectUri: string;
  /** The issuer the console signs in against. */
  public readonly issuer: string;
  /** The scopes the console asks for. */
  public readonly scopes: readonly string[];

  constructor(scope: Construct, id: string, options: JobFlowConsoleOptions) {
    super(scope, id);
    const { props } = options;
    // validateProps has checked both (console needs authMode 'jwt', and jwt needs an issuer).
    const jwt = props.api!.jwt!;
    const settings = props.console!;
    this.issuer = settings.issuer ?? jwt.issuer;
    this.scopes = settings.scopes ? [...settings.scopes] : defaultConsoleScopes(jwt);
    this.url = `${options.apiUrl}${CONSOLE_REDIRECT_PATH.slice(1)}`;
    this.redirectUri = this.url;

    const description = `jobx ${options.stageName}: operator console (static files at ${CONSOLE_PATH})`;
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: options.logRetention,
      removalPolicy: options.removalPolicy,
      ...(props.encryptionKey ? { encryptionKey: props.encryptionKey } : {}),
    });
    // Its own role: its log group and nothing else (it reads no table, queue or bus).
    const role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description });
    logGroup.grantWrite(role);
    this.fn = new lambda.Function(this, 'Function', {
      description,
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: consoleCode(),
      // Static files from memory and disk: the smallest size, and seconds are plenty.
      memorySize: 128,
      timeout: Duration.seconds(5),
      logGroup,
      role,
      ...(props.tracing ? { tracing: lambda.Tracing.ACTIVE } : {}),
      environment: {
        [ENV.consoleIssuer]: this.issuer,
        [ENV.consoleClientId]: settings.clientId,
        [ENV.consoleScopes]: this.scopes.join(' '),
        NODE_OPTIONS: '--enable-source-maps',
      },
    });

    const integration = new HttpLambdaIntegration('ConsoleIntegration', this.fn, { payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0 });
    // No authorizer on these two paths only: a person's browser loads the app and its sign-in settings (issuer,
    // client id, scopes: what any public client discloses) before it has a token. Empty scopes: the API's default
    // scopes are for its JWT routes, and a route without an authorizer takes none.
    // `/console/` (the redirect URI) is the greedy route's: a route key cannot end with a slash.
    const open = { methods: [apigwv2.HttpMethod.GET], integration, authorizer: new apigwv2.HttpNoneAuthorizer(), authorizationScopes: [] };
    this.routes = [...options.api.addRoutes({ path: CONSOLE_PATH, ...open }), ...options.api.addRoutes({ path: `${CONSOLE_PATH}/{proxy+}`, ...open })];
    acknowledgeConsole(this, { tracing: props.tracing === true });
  }
}

/** The console function's code: the handler bundle with the console's built files in `console/` beside it. */
function consoleCode(): lambda.Code {
  return lambda.Code.fromAsset(PACKAGE_ROOT, {
    // Hashed from what is deployed (the bundle and the console's files), so a rebuilt console is a new version.
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never pulled: the local bundling below always succeeds or throws with what to do.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-alpine'),
      local: new ConsoleBundling(),
    },
  });
}

/** Bundles the handler (or copies the prebuilt one) and copies the console's built files beside it. */
class ConsoleBundling implements ILocalBundling {
  tryBundle(outputDir: string): boolean {
    const files = builtConsole();
    const prebuilt = prebuiltHandler(CONSOLE_HANDLER_ENTRY);
    if (prebuilt) {
      for (const name of readdirSync(prebuilt)) copyFileSync(path.join(prebuilt, name), path.join(outputDir, name));
    } else {
      // esbuild is a devDependency of this repository (NodejsFunction needs it too); an installed jobx never gets here.
      const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
      esbuild.buildSync(consoleHandlerBuild(path.join(outputDir, 'index.mjs')));
    }
    cpSync(files, path.join(outputDir, 'console'), { recursive: true });
    return true;
  }
}

/**
 * esbuild options of the console handler's bundle, as {@link LAMBDA_BUNDLING} bundles the other functions (ESM,
 * minified, external source maps); `npm run bundle-sizes` builds it with these too.
 * @internal
 */
export function consoleHandlerBuild(outfile: string) {
  return {
    entryPoints: [path.join(PACKAGE_ROOT, CONSOLE_HANDLER_ENTRY)],
    outfile,
    bundle: true,
    platform: 'node' as const,
    format: 'esm' as const,
    target: LAMBDA_BUNDLING.target ?? 'node22',
    mainFields: LAMBDA_BUNDLING.mainFields ?? ['module', 'main'],
    minify: true,
    sourcemap: 'external' as const,
    sourcesContent: false,
    banner: { js: ESM_REQUIRE_BANNER },
    logLevel: 'error' as const,
  };
}

/** Newest modification time of the files under `dir` (0 when it does not exist). */
function newestChange(dir: string): number {
  if (!existsSync(dir)) return 0;
  const stat = statSync(dir);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(dir).map((name) => newestChange(path.join(dir, name))));
}

/**
 * The console's built files (`dist/console`). Inside this repository they are built (`npm run build:console`)
 * when missing or older than their sources, so a deployment never ships a stale console; an installed jobx
 * ships them built.
 */
export function builtConsole(): string {
  const dir = path.join(PACKAGE_ROOT, 'dist', 'console');
  const index = path.join(dir, 'index.html');
  const sources = path.join(PACKAGE_ROOT, 'functions', 'console');
  if (existsSync(path.join(sources, 'vite.config.ts'))) {
    if (!existsSync(index) || newestChange(sources) > statSync(index).mtimeMs) {
      try {
        execFileSync('npm', ['run', 'build:console'], { cwd: PACKAGE_ROOT, stdio: 'pipe', shell: process.platform === 'win32' });
      } catch (err) {
        const output = (err as { stderr?: Buffer }).stderr?.toString().trim();
        throw new Error(`jobx: the console is not built and building it failed: run npm run build:console in ${PACKAGE_ROOT}${output ? `\n${output}` : ''}`);
      }
    }
  }
  if (!existsSync(index)) throw new Error(`jobx: the console's built files are missing (${dir}): run npm run build:console, or reinstall jobx`);
  return dir;
}
