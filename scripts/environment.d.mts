export declare const CHROMIUM_FLAGS: string[];
export interface FoundChromium {
  executablePath: string;
  args: string[];
  source: 'CHROMIUM_PATH' | 'system' | 'playwright' | '@sparticuz/chromium';
  packaged: boolean;
}
export declare function findChromium(env?: NodeJS.ProcessEnv): Promise<FoundChromium>;
export declare function chromiumLaunchOptions(env?: NodeJS.ProcessEnv): Promise<{ executablePath: string; args: string[] }>;
export declare function vulkanEnvironment(env?: NodeJS.ProcessEnv): Promise<Record<string, string>>;
