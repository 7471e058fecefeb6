import { AtlasError } from './errors.js';

/** Atlas projects ("groups") and organizations. */

export interface ResourceTag {
  key: string;
  value: string;
}

export interface Organization {
  id: string;
  name: string;
  createdAt: Date;
  /** Atlas' "Require IP Access List for the Atlas Administration API". */
  apiAccessListRequired: boolean;
}

export interface Project {
  id: string;
  orgId: string;
  name: string;
  tags: ResourceTag[];
  createdAt: Date;
}

const PROJECT_NAME = /^[\p{L}\p{N}\-_.(),:&@+']{1,64}$/u;

export function checkProjectName(name: string): void {
  if (!PROJECT_NAME.test(name)) throw new AtlasError('INVALID_GROUP_NAME', name);
}
