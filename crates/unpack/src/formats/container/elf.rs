//! placeholder
use crate::format::{Emit, Error, Format, Identified, Kind, Magic};
pub struct Elf;
impl Format for Elf {
    fn name(&self) -> &'static str {
        "Elf"
    }
    fn kind(&self) -> Kind {
        Kind::Info
    }
    fn magics(&self) -> &'static [Magic] {
        &[]
    }
    fn identify(&self, _data: &[u8]) -> Option<Identified> {
        None
    }
    fn extract(&self, _data: &[u8], _id: Identified, _out: &dyn Emit) -> Result<(), Error> {
        Ok(())
    }
}
