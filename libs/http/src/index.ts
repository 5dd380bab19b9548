export { HttpServer, type HttpServerOptions } from './server';
export {
  HttpClient,
  resolveUri,
  type HttpClientError,
  type HttpClientOptions,
  type HttpClientResponse,
} from './client';
