export * from './names.js';
export * from './schemas.js';
export * from './dto.js';
