/**
 * The zod entry point for all storeflow code: zod/mini (tree-shakable, so Lambda bundles stay
 * small) with the English error messages configured once. Import it as
 * `import * as z from '#domain/shared/zod'` (a namespace import keeps tree-shaking working).
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
