import { InitialSchema1764201600000 } from './1764201600000-initial-schema.js';

/** Every migration, in order. Listed explicitly: no file globbing at run time. */
export const migrations = [InitialSchema1764201600000];
