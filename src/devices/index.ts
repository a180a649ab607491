// Device slots, worker processes and the job protocol a stage runs under.
export { parseDevices, defaultDevices, slotRequest, deviceEnv, DevicesInvalid, DeviceUnavailable, type DeviceSlot } from './deviceSlots.js';
export { localExecutor, type LocalExecutorOptions } from './localExecutor.js';
export { inProcessExecutor } from './inProcessExecutor.js';
export { runStageJob } from './runStageJob.js';
export { toWire, type StageJob, type WireError, type ToWorker, type FromWorker } from '../protocol/stageJob.js';
export { startDataParallel, rankReducer, jobDevices, rankEnv, DataParallelRankFailed, DATA_PARALLEL_KINDS, type DataParallelGroup } from './dataParallel.js';
