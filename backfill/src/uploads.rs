//! The multipart uploads of a task: a few parts in flight at a time while
//! the source is converted, then every upload completed together at the
//! end, or every one aborted when the task fails.

use std::collections::HashMap;

use tokio::task::JoinSet;
use tracing::warn;

use crate::objects::Piece;
use crate::outcome::Failure;
use crate::store::Store;

#[derive(Debug)]
struct Upload {
    key: String,
    id: String,
    /// Parts uploaded: `(number, ETag)`.
    parts: Vec<(i32, String)>,
    next_part: i32,
}

type PartResult = Result<(usize, i32, String), Failure>;

/// The uploads of one task.
#[derive(Debug)]
pub(crate) struct Uploads<S: Store> {
    store: S,
    uploads: HashMap<usize, Upload>,
    in_flight: JoinSet<PartResult>,
    limit: usize,
}

impl<S: Store> Uploads<S> {
    /// Uploads through `store`, at most `limit` calls at once.
    pub(crate) fn new(store: S, limit: usize) -> Uploads<S> {
        Uploads {
            store,
            uploads: HashMap::new(),
            in_flight: JoinSet::new(),
            limit: limit.max(1),
        }
    }

    /// Uploads `piece` as the next part of its object, whose key is `key`,
    /// starting the object's upload first if this is its first piece.
    /// Waits while the limit of parts in flight is reached.
    pub(crate) async fn send(&mut self, piece: Piece, key: &str) -> Result<(), Failure> {
        if !self.uploads.contains_key(&piece.object) {
            let id = self.store.start_upload(key).await?;
            let upload = Upload {
                key: key.to_owned(),
                id,
                parts: Vec::new(),
                next_part: 1,
            };
            self.uploads.insert(piece.object, upload);
        }
        while self.in_flight.len() >= self.limit {
            self.join_one().await?;
        }
        let upload = self.uploads.get_mut(&piece.object).expect("started above");
        let number = upload.next_part;
        upload.next_part += 1;
        let part =
            self.store
                .upload_part(upload.key.clone(), upload.id.clone(), number, piece.bytes);
        let object = piece.object;
        self.in_flight
            .spawn(async move { part.await.map(|etag| (object, number, etag)) });
        Ok(())
    }

    /// Waits for every part, then completes every upload, a few at a time.
    /// On failure the uploads not yet completed are aborted.
    pub(crate) async fn complete(mut self) -> Result<(), Failure> {
        while !self.in_flight.is_empty() {
            if let Err(failure) = self.join_one().await {
                self.abort().await;
                return Err(failure);
            }
        }
        let mut completing = JoinSet::new();
        let mut uploads: Vec<(usize, Upload)> = self.uploads.drain().collect();
        uploads.sort_by_key(|(object, _)| *object);
        let mut failure = None;
        for (object, mut upload) in uploads {
            while completing.len() >= self.limit {
                note(
                    &mut failure,
                    completing.join_next().await,
                    &mut self.uploads,
                );
            }
            upload.parts.sort_unstable();
            let done = self.store.complete_upload(
                upload.key.clone(),
                upload.id.clone(),
                upload.parts.clone(),
            );
            self.uploads.insert(object, upload);
            completing.spawn(async move { done.await.map(|()| object) });
        }
        while !completing.is_empty() {
            note(
                &mut failure,
                completing.join_next().await,
                &mut self.uploads,
            );
        }
        match failure {
            None => Ok(()),
            Some(failure) => {
                self.abort().await;
                Err(failure)
            }
        }
    }

    /// Stops the parts in flight and aborts every upload not completed,
    /// leaving nothing behind; a failure to abort is only logged, as the
    /// bucket's lifecycle rule removes what is left.
    pub(crate) async fn abort(mut self) {
        self.in_flight.shutdown().await;
        for (_, upload) in self.uploads.drain() {
            if let Err(failure) = self.store.abort_upload(upload.key.clone(), upload.id).await {
                warn!(key = %upload.key, %failure, "upload not aborted");
            }
        }
    }

    async fn join_one(&mut self) -> Result<(), Failure> {
        match self.in_flight.join_next().await {
            None => Ok(()),
            Some(joined) => {
                let (object, number, etag) = joined.map_err(join_failure)??;
                let upload = self
                    .uploads
                    .get_mut(&object)
                    .expect("started before its parts");
                upload.parts.push((number, etag));
                Ok(())
            }
        }
    }
}

/// Notes a completion: a completed upload is forgotten (no longer to
/// abort); the first failure is kept.
fn note(
    failure: &mut Option<Failure>,
    joined: Option<Result<Result<usize, Failure>, tokio::task::JoinError>>,
    uploads: &mut HashMap<usize, Upload>,
) {
    match joined.map(|joined| joined.map_err(join_failure).and_then(|r| r)) {
        Some(Ok(object)) => {
            uploads.remove(&object);
        }
        Some(Err(error)) => {
            failure.get_or_insert(error);
        }
        None => {}
    }
}

fn join_failure(error: tokio::task::JoinError) -> Failure {
    Failure::Temporary(format!("an upload stopped: {error}"))
}
