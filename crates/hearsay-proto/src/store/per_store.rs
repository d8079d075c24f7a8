//! [`PerStore`]: one value per store.

use std::ops::{Index, IndexMut};

use crate::wire::StoreKind;

/// One `T` per store: per-store data without arrays indexed by `as usize`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct PerStore<T> {
    /// Per-node state's.
    pub state: T,
    /// The map's.
    pub kv: T,
}

impl<T> PerStore<T> {
    /// Both, per-node state's first.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        [&self.state, &self.kv].into_iter()
    }

    /// Both, mutably, per-node state's first.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        [&mut self.state, &mut self.kv].into_iter()
    }
}

impl<T> Index<StoreKind> for PerStore<T> {
    type Output = T;
    fn index(&self, store: StoreKind) -> &T {
        match store {
            StoreKind::State => &self.state,
            StoreKind::Kv => &self.kv,
        }
    }
}

impl<T> IndexMut<StoreKind> for PerStore<T> {
    fn index_mut(&mut self, store: StoreKind) -> &mut T {
        match store {
            StoreKind::State => &mut self.state,
            StoreKind::Kv => &mut self.kv,
        }
    }
}
