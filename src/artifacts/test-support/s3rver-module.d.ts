/** The parts of s3rver 3 (an in-process fake S3 server, dev dependency) that the tests use. */
declare module 's3rver' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
  }

  interface StoredObject {
    key: string;
    size: number;
    lastModifiedDate: Date;
    metadata: Record<string, string>;
  }

  class S3rver {
    constructor(options?: S3rverOptions);
    /** The filesystem store behind the server. */
    store: {
      listObjects(bucket: string, options: { prefix?: string; maxKeys?: number }): Promise<{ objects: StoredObject[] }>;
    };
    /** Create the buckets named in `configureBuckets`. */
    configureBuckets(): Promise<void>;
    /** A request listener for `http.createServer`. */
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
  }

  export default S3rver;
}
