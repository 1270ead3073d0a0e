// The transfer preferences of WP8 (POLICY.md §2): which of cellular and battery a job may use.
export const PREFERENCES = ['none', 'allowCellular', 'allowBattery', 'allowCellularAndBattery'] as const;
export type Preferences = (typeof PREFERENCES)[number];
