export * from './names.js';
export * from './schemas.js';
export * from './service.js';
export * from './dto.js';
export * from './answers.js';
export * from './github-app.js';
export * from './watch-paths.js';
export * from './teams.js';
