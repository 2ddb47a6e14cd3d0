//! [`ObjMap`]: the entries of an object value, in a sorted list.
//!
//! An object value's keys are iterated in lexical order, as Terraform iterates them. A
//! `BTreeMap` gives that order, but its smallest node holds room for eleven entries: a resource
//! body with two arguments took 720 bytes, the largest part of the evaluation state of a module of
//! many small resources. Objects are small and built once, so a list sorted by key, searched by
//! bisection, holds the same entries in the same order at their own size. The methods are those of
//! `BTreeMap` the evaluator and the checks use, with the same meaning (an insert replaces the
//! value of an existing key; a map collected from entries keeps the last value of a key).

use crate::value::Value;
use std::fmt;

/// Entries sorted by key, keys unique.
#[derive(Clone, Default, PartialEq)]
pub struct ObjMap(Vec<(String, Value)>);

/// An iterator over the entries of an [`ObjMap`], in key order.
pub type Iter<'a> = std::iter::Map<
    std::slice::Iter<'a, (String, Value)>,
    fn(&'a (String, Value)) -> (&'a String, &'a Value),
>;

fn pair(e: &(String, Value)) -> (&String, &Value) {
    (&e.0, &e.1)
}

impl ObjMap {
    pub fn new() -> Self {
        ObjMap(Vec::new())
    }
    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.find(key).ok().map(|i| &self.0[i].1)
    }
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.find(key).ok().map(|i| &mut self.0[i].1)
    }
    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }
    /// Sets `key` to `value`, returning the value it replaces.
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        // Entries often arrive in order: appending is the common case.
        if self.0.last().is_none_or(|(k, _)| *k < key) {
            self.0.push((key, value));
            return None;
        }
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.find(key).ok().map(|i| self.0.remove(i).1)
    }
    /// The value of `key`, inserted from `f` when absent.
    pub fn get_or_insert_with(&mut self, key: String, f: impl FnOnce() -> Value) -> &mut Value {
        let i = match self.find(&key) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (key, f()));
                i
            }
        };
        &mut self.0[i].1
    }
    pub fn iter(&self) -> Iter<'_> {
        self.0
            .iter()
            .map(pair as fn(&(String, Value)) -> (&String, &Value))
    }
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator + Clone {
        self.0.iter().map(|(k, _)| k)
    }
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Value> + ExactSizeIterator + Clone {
        self.0.iter().map(|(_, v)| v)
    }
    pub fn values_mut(
        &mut self,
    ) -> impl DoubleEndedIterator<Item = &mut Value> + ExactSizeIterator {
        self.0.iter_mut().map(|(_, v)| v)
    }
    /// Frees the room the list has beyond its entries.
    pub fn shrink_to_fit(&mut self) {
        self.0.shrink_to_fit();
    }
    /// The values of the keys before `key` (in key order).
    pub fn values_before(&self, key: &str) -> impl Iterator<Item = &Value> {
        let end = match self.find(key) {
            Ok(i) | Err(i) => i,
        };
        self.0[..end].iter().map(|(_, v)| v)
    }
}

impl std::ops::Index<&str> for ObjMap {
    type Output = Value;
    /// The value of a key the map has (panics otherwise, as `BTreeMap` indexing does).
    fn index(&self, key: &str) -> &Value {
        self.get(key).expect("key in object")
    }
}

impl fmt::Debug for ObjMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl FromIterator<(String, Value)> for ObjMap {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        let mut v: Vec<(String, Value)> = iter.into_iter().collect();
        if v.windows(2).all(|w| w[0].0 < w[1].0) {
            v.shrink_to_fit();
            return ObjMap(v);
        }
        // Stable: of equal keys, the last one collected comes last and is kept.
        v.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(String, Value)> = Vec::with_capacity(v.len());
        for e in v {
            match out.last_mut() {
                Some(last) if last.0 == e.0 => last.1 = e.1,
                _ => out.push(e),
            }
        }
        out.shrink_to_fit();
        ObjMap(out)
    }
}

impl<const N: usize> From<[(String, Value); N]> for ObjMap {
    fn from(a: [(String, Value); N]) -> Self {
        a.into_iter().collect()
    }
}

impl Extend<(String, Value)> for ObjMap {
    fn extend<I: IntoIterator<Item = (String, Value)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl IntoIterator for ObjMap {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a ObjMap {
    type Item = (&'a String, &'a Value);
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::string(x)
    }

    #[test]
    fn same_order_and_overwrites_as_a_btreemap() {
        let entries = [("b", "1"), ("a", "2"), ("c", "3"), ("a", "4"), ("b", "5")];
        let mut bt = std::collections::BTreeMap::new();
        let mut m = ObjMap::new();
        for (k, v) in entries {
            assert_eq!(
                bt.insert(k.to_string(), s(v)),
                m.insert(k.to_string(), s(v))
            );
        }
        let collected: ObjMap = entries.iter().map(|(k, v)| (k.to_string(), s(v))).collect();
        let want: Vec<(&String, &Value)> = bt.iter().collect();
        assert_eq!(m.iter().collect::<Vec<_>>(), want);
        assert_eq!(collected.iter().collect::<Vec<_>>(), want);
        assert_eq!(format!("{m:?}"), format!("{bt:?}"));
        assert_eq!(m.get("a"), Some(&s("4")));
        assert!(m.get("z").is_none());
        assert_eq!(m.values_before("b").count(), 1);
        assert_eq!(m.values_before("bb").count(), 2);
        assert_eq!(m.remove("b"), Some(s("5")));
        assert_eq!(m.keys().cloned().collect::<Vec<_>>(), ["a", "c"]);
    }
}
