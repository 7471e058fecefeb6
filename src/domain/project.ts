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

/** A name as Atlas' case-insensitive `?name=` prefix filters compare it (organizations, projects). */
export function foldName(name: string): string {
  return name.toLowerCase();
}

export function nameStartsWith(name: string, prefix: string): boolean {
  return foldName(name).startsWith(foldName(prefix));
}

/** A project's settings document (Atlas `GroupSettings`), every flag present. */
export interface ProjectSettings {
  isCollectDatabaseSpecificsStatisticsEnabled: boolean;
  isDataExplorerEnabled: boolean;
  isDataExplorerGenAIFeaturesEnabled: boolean;
  isDataExplorerGenAISampleDocumentPassingEnabled: boolean;
  isExtendedStorageSizesEnabled: boolean;
  isPerformanceAdvisorEnabled: boolean;
  isRealtimePerformancePanelEnabled: boolean;
  isSchemaAdvisorEnabled: boolean;
}

/** What a new Atlas project starts with (docs/compatibility.md "Project settings"). */
export const DEFAULT_PROJECT_SETTINGS: Readonly<ProjectSettings> = {
  isCollectDatabaseSpecificsStatisticsEnabled: true,
  isDataExplorerEnabled: true,
  isDataExplorerGenAIFeaturesEnabled: true,
  isDataExplorerGenAISampleDocumentPassingEnabled: false,
  isExtendedStorageSizesEnabled: false,
  isPerformanceAdvisorEnabled: true,
  isRealtimePerformancePanelEnabled: true,
  isSchemaAdvisorEnabled: true,
};

/** Atlas' managed slow operation threshold starts enabled. */
export const DEFAULT_MANAGED_SLOW_MS = true;
