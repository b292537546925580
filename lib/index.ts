/**
 * `jobx/construct`: the `JobFlow` CDK construct, its props and the facts it is built from. The construct
 * acknowledges its own cdk-nag findings (each with its reason) on the resources it creates.
 * @module
 */
export * from './job-flow';
