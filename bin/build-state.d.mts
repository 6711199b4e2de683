export declare const ROOT: string;
export declare const COMPILED: string;
export declare function compiledIsCurrent(): boolean;
