//! Running a presented session: the frame loop on the render thread, the stimulus loader
//! thread, the data writer thread that writes and fsyncs every row, what happens when the data
//! cannot be written, and `shapelab timing-test`.

pub mod frame_loop;
pub mod preload;
pub mod storage_pause;
pub mod timing_test;
pub mod writer;
