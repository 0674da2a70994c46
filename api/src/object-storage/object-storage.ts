import type { ObjectStorageSettings } from '../config/object-storage.js';
import type { ObjectStorageDriver } from './driver.js';

/** The object-storage backend of a platform that has one (UseCaseContext.objectStorage). */
export interface ObjectStorage {
  driver: ObjectStorageDriver;
  settings: ObjectStorageSettings;
}
