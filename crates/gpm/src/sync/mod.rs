//! Go's sync package for goroutines and threads: WaitGroup, Mutex, RwLock, Condvar, Semaphore.
