/** Types of build-iife.mjs for the TypeScript tests that import it. */
export declare const BUDGET_GZIP_BYTES: number
export interface WidgetScript {
  text: string
  minified: number
  gzip: number
  byPackage: Record<string, number>
}
export declare function buildWidgetScript(options?: { outfile?: string }): Promise<WidgetScript>
