import { TestWorkflowEnvironment } from '@temporalio/testing';
for (let i = 0; i < 3; i++) {
  const t0 = Date.now();
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: process.argv[2]! } } });
  console.log(`plain-JVM createTimeSkipping ready in ${Date.now() - t0} ms`);
  await env.teardown();
}
