export { ProtocolError } from './protocol-error.js';
export {
  RequestDecoder,
  DEFAULT_DECODER_LIMITS,
  type Request,
  type DecoderLimits,
} from './request-decoder.js';
export { ReplyFramer } from './reply-framer.js';
export { parseReply, RespError, type RespValue } from './reply-parser.js';
export {
  encodeCommand,
  encodeSimple,
  encodeError,
  encodeInteger,
  encodeBulk,
  encodeArrayOfFrames,
  encodeNullArray,
  encodeValue,
} from './encoder.js';
export { OK, PONG, QUEUED, NULL_BULK, NULL_ARRAY, EMPTY_ARRAY, ZERO, ONE, CRLF } from './constants.js';
export {
  type RespVersion,
  RESP3_NULL,
  encodeMap,
  encodeSet,
  encodePush,
  encodeVerbatim,
  encodeBoolean,
  nullReply,
  textReply,
  mapReply,
} from './resp3-encoder.js';
