// The jars of the local Kafka broker (../stack/kafka-broker.ts): KAFKA_LIBS_DIR, else the cached copy, else fetched
// once from Maven Central with mvn.
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  buildLogFile,
  hasJars,
  lockPathFor,
  mavenCopyDependencies,
  nonEmpty,
  publishDir,
  requireExecutable,
  toolDir,
  TOOL_DIRS,
  TOOL_VERSIONS,
  withBuildLock,
  type Log,
  type MavenDependency,
} from './shared';

const KAFKA_DEPENDENCIES: readonly MavenDependency[] = [
  { groupId: 'org.apache.kafka', artifactId: 'kafka_2.13', version: TOOL_VERSIONS.kafka },
  // log4j is only a compile-time dependency of Kafka core: the broker needs a logging backend at run time.
  { groupId: 'org.slf4j', artifactId: 'slf4j-reload4j', version: '1.7.36' },
  { groupId: 'ch.qos.reload4j', artifactId: 'reload4j', version: '1.2.25' },
];

export async function ensureKafkaLibs(log: Log): Promise<string> {
  const override = nonEmpty(process.env['KAFKA_LIBS_DIR']);
  if (override !== undefined) {
    const dir = resolve(override);
    if (!(await hasJars(dir))) throw new Error(`KAFKA_LIBS_DIR=${override} is not a directory containing .jar files`);
    return dir;
  }

  const dir = toolDir('kafka');
  const cached = async (): Promise<string | undefined> => ((await hasJars(dir)) ? dir : undefined);
  const hit = await cached();
  if (hit !== undefined) return hit;

  const mvn = await requireExecutable('mvn', `Kafka ${TOOL_VERSIONS.kafka} jars (or set KAFKA_LIBS_DIR)`);
  const what = `Kafka ${TOOL_VERSIONS.kafka} jars`;
  return withBuildLock(lockPathFor(dir), cached, async () => {
    const partial = `${dir}.partial`;
    const logFile = buildLogFile(TOOL_DIRS.kafka);
    log(`Fetching ${what} from Maven Central (first time only, about a minute; log: ${logFile})…`);
    await rm(partial, { recursive: true, force: true });
    await mavenCopyDependencies({ mvn, what, dependencies: KAFKA_DEPENDENCIES, outputDir: partial, logFile, log });
    await publishDir(partial, dir);
    log(`${what} ready: ${dir}`);
    return dir;
  }, { log, what });
}
