//! [`Resources`]: a unit's resource instances, stored once.
//!
//! The evaluator computes the instances of a resource once, as a graph node whose result other
//! nodes read (`aws_kms_key.k.arn`). The unit's list is those same groups, shared, with the order
//! in which the checks see them (by file, position and address): on a module of 400,000 resources
//! a second copy of every instance was a tenth of the peak memory.

use super::ResourceInstance;
use std::fmt;
use std::sync::Arc;

/// Resource instances in order: groups shared with the evaluation, and an order over them.
#[derive(Default, Clone)]
pub struct Resources {
    groups: Vec<Arc<[ResourceInstance]>>,
    /// (group, instance) pairs in iteration order.
    order: Vec<(u32, u32)>,
}

impl Resources {
    /// The instances of `groups`, ordered by file, position and full address (stably: instances
    /// that tie keep the order of the groups).
    pub(crate) fn sorted(groups: Vec<Arc<[ResourceInstance]>>) -> Resources {
        let mut order: Vec<(u32, u32)> = groups
            .iter()
            .enumerate()
            .flat_map(|(g, insts)| (0..insts.len()).map(move |i| (g as u32, i as u32)))
            .collect();
        let at = |&(g, i): &(u32, u32)| &groups[g as usize][i as usize];
        order.sort_by(|a, b| {
            let (a, b) = (at(a), at(b));
            (a.loc.file, a.loc.start, a.full_address()).cmp(&(
                b.loc.file,
                b.loc.start,
                b.full_address(),
            ))
        });
        Resources { groups, order }
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &ResourceInstance> + Clone + '_ {
        self.order
            .iter()
            .map(|&(g, i)| &self.groups[g as usize][i as usize])
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

impl fmt::Debug for Resources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}
