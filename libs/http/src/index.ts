export { HttpServer, type HttpServerOptions } from './server';
