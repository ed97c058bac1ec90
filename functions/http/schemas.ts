import { z } from 'zod';
import { PROBLEM_TYPE_BASE, problemTypes } from './problem.ts';

// Request and response schemas. The same objects validate at run time and generate the
// OpenAPI description (functions/http/openapi.ts), so the two cannot disagree.

export const ProblemSchema = z
  .object({
    type: z.string().describe(`Stable problem type: ${PROBLEM_TYPE_BASE}<one of the documented names>`),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
  })
  .catchall(z.unknown())
  .meta({
    id: 'Problem',
    description: `RFC 9457 problem details. Types: ${Object.keys(problemTypes).join(', ')}`,
  });

export const DependencyCheckSchema = z
  .object({
    status: z.enum(['up', 'down']),
    latencyMs: z.number().nonnegative(),
    error: z.string().optional().describe('Why the dependency is unreachable; never a stack trace'),
  })
  .meta({ id: 'DependencyCheck' });

export const HealthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    checks: z.record(z.string(), DependencyCheckSchema),
  })
  .meta({ id: 'Health', description: 'Reachability of each dependency; 503 when any is down' });

export type Health = z.infer<typeof HealthSchema>;
