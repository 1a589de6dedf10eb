import { randomBytes } from "node:crypto";
import { execa } from "execa";

import { services } from "./environment.js";

const psql = (sql: string) =>
  execa("psql", ["-h", services.postgres.host, "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql]);

/** A fresh database for one test run; drop() removes it (and any session still on it). */
export async function freshDatabase(prefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  await psql(`CREATE DATABASE ${name}`);
  return {
    url: `postgres://postgres@${services.postgres.host}:${services.postgres.port}/${name}?sslmode=disable`,
    drop: async () => {
      await psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
