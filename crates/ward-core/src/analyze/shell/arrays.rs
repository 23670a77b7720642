//! Indexed arrays assigned in the line: `args=(--release --locked); cargo build
//! "${args[@]}"` runs `cargo build --release --locked`, and `a=(rm -rf /); "${a[@]}"`
//! deletes everything. Arrays of listed elements are kept; one with explicit
//! indices (`a=([3]=x)`), or changed in a way the line does not tell, is unknown.

use super::walk::Scope;
use super::words::Arg;

/// The most arrays one line keeps.
const MAX_ARRAYS: usize = 64;

/// The most elements one kept array holds.
const MAX_ELEMENTS: usize = 1024;

impl Scope {
    /// `name=(…)` or `name+=(…)` with these elements (`None`: not known).
    pub(super) fn assign_array(&mut self, name: &str, elements: Option<Vec<Arg>>, append: bool) {
        let earlier = self
            .arrays
            .iter()
            .position(|(known, _)| known == name)
            .map(|index| self.arrays.remove(index).1);
        let elements = match (append, earlier, elements) {
            (false, _, Some(elements)) => Some(elements),
            (true, Some(mut all), Some(added)) => {
                all.extend(added);
                Some(all)
            }
            _ => None,
        };
        if let Some(elements) = elements
            && elements.len() <= MAX_ELEMENTS
            && self.arrays.len() < MAX_ARRAYS
        {
            self.arrays.push((name.to_owned(), elements));
        }
    }

    /// Forgets an array whose name was assigned a plain value.
    pub(super) fn forget_array(&mut self, name: &str) {
        self.arrays.retain(|(known, _)| known != name);
    }

    /// The elements of a kept array.
    pub(super) fn array(&self, name: &str) -> Option<&[Arg]> {
        self.arrays
            .iter()
            .rev()
            .find(|(known, _)| known == name)
            .map(|(_, elements)| elements.as_slice())
    }
}
